"""Container images without a Docker daemon: sources (archive, OCI layout, folder, registry,
daemon), layers applied in order with whiteouts (streamed once, never extracted), package
inventories (OS and language), and attribution of each package to the layer and Dockerfile
instruction that brought it in."""
