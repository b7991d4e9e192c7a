"""What every checker of container files shares: the container concepts (`rules.py`: HS100 root
user, HS110 secrets in the image, HS132 privileged), image trust (`images.py`: HS101-HS103 on
every image reference) and runtime restrictions of workloads (`workloads.py`: HS140-HS147,
Compose and Kubernetes alike). No checker reaches into another: they all come here."""
