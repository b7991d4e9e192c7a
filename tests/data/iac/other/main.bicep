resource sa 'Microsoft.Storage/storageAccounts@2021-02-01' = {
  name: 'demo'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    supportsHttpsTrafficOnly: false
    allowBlobPublicAccess: true
  }
}
