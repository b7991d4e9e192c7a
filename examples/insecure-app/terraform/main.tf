# Deliberately insecure (hullscan demo): SSH open to the world, public bucket ACLs, admin IAM.
resource "aws_security_group" "admin" {
  name        = "admin"
  description = "admin access"

  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_s3_bucket_public_access_block" "assets" {
  bucket                  = "assets"
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
}
POLICY
}
