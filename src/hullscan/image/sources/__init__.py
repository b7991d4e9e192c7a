"""Image sources: each turns a reference (archive, OCI layout, folder, registry, daemon) into an
`Image` ready for the layer walker."""
