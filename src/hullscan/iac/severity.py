"""Real severities for checkov's checks without its paid platform (checkov#2848).

A check's severity is its explicit override below when it has one (the checks that are critical
in container security), else the default of its first checkov category. docs/rules.md shows both
tables; `.hullscan.yaml` `severity:` overrides any rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from hullscan.core.model import Severity

C, H, M, L, N = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

# checkov CheckCategories name -> default severity
CATEGORY_SEVERITY: dict[str, Severity] = {
    "SECRETS": C,
    "IAM": H,
    "NETWORKING": M,
    "ENCRYPTION": M,
    "KUBERNETES": M,
    "GENERAL_SECURITY": M,
    "SUPPLY_CHAIN": M,
    "APPLICATION_SECURITY": M,
    "API_SECURITY": M,
    "SAST": M,
    "AI_AND_ML": M,
    "LOGGING": L,
    "BACKUP_AND_RECOVERY": L,
    "CONVENTION": N,
}
DEFAULT_SEVERITY = M

# check id -> (severity, why)
OVERRIDES: dict[str, tuple[Severity, str]] = {
    # Kubernetes: privileges and host access
    "CKV_K8S_16": (C, "privileged container"),
    "CKV_K8S_2": (C, "privileged containers admitted (PSP)"),
    "CKV_K8S_27": (C, "Docker socket mounted"),
    "CKV_K8S_17": (H, "host PID namespace"),
    "CKV_K8S_18": (H, "host IPC namespace"),
    "CKV_K8S_19": (H, "host network namespace"),
    "CKV_K8S_1": (H, "host PID admitted (PSP)"),
    "CKV_K8S_3": (H, "host IPC admitted (PSP)"),
    "CKV_K8S_4": (H, "host network admitted (PSP)"),
    "CKV_K8S_5": (H, "privilege escalation admitted (PSP)"),
    "CKV_K8S_6": (H, "root containers admitted (PSP)"),
    "CKV_K8S_7": (H, "NET_RAW admitted (PSP)"),
    "CKV_K8S_20": (H, "allowPrivilegeEscalation"),
    "CKV_K8S_23": (H, "root containers"),
    "CKV_K8S_39": (H, "CAP_SYS_ADMIN"),
    "CKV_K8S_49": (H, "wildcard RBAC"),
    "CKV_K8S_155": (H, "RBAC escalate/bind"),
    "CKV_K8S_156": (H, "RBAC impersonate"),
    "CKV_K8S_157": (H, "RBAC admission control"),
    "CKV_K8S_158": (H, "RBAC node proxy"),
    "CKV_K8S_35": (M, "secrets in environment variables"),
    "CKV_K8S_37": (M, "capabilities not minimised"),
    "CKV_K8S_28": (M, "NET_RAW not dropped"),
    "CKV_K8S_29": (M, "no pod security context"),
    "CKV_K8S_30": (M, "no container security context"),
    "CKV_K8S_31": (M, "no seccomp profile"),
    "CKV_K8S_32": (M, "no seccomp profile (PSP)"),
    "CKV_K8S_22": (L, "writable root filesystem"),
    "CKV_K8S_40": (L, "low UID"),
    "CKV_K8S_38": (L, "service account token mounted"),
    "CKV_K8S_10": (L, "no CPU request"),
    "CKV_K8S_11": (L, "no CPU limit"),
    "CKV_K8S_12": (L, "no memory request"),
    "CKV_K8S_13": (L, "no memory limit"),
    "CKV_K8S_15": (L, "image pull policy"),
    "CKV_K8S_21": (L, "default namespace"),
    "CKV_K8S_8": (N, "no liveness probe"),
    "CKV_K8S_9": (N, "no readiness probe"),
    "CKV2_K8S_6": (L, "no network policy"),
    # Cloud: world-open admin ports
    "CKV_AWS_24": (C, "SSH open to the internet"),
    "CKV_AWS_25": (C, "RDP open to the internet"),
    "CKV_AWS_277": (C, "all ports open to the internet"),
    "CKV_AWS_260": (M, "HTTP open to the internet"),
    "CKV_AZURE_9": (C, "RDP open to the internet"),
    "CKV_AZURE_10": (C, "SSH open to the internet"),
    "CKV_GCP_2": (C, "SSH open to the internet"),
    "CKV_GCP_3": (C, "RDP open to the internet"),
    "CKV_GCP_106": (C, "HTTP/all ports open to the internet"),
    # Public buckets
    "CKV_AWS_20": (C, "S3 bucket publicly readable"),
    "CKV_AWS_57": (C, "S3 bucket publicly writable"),
    "CKV_AWS_53": (H, "S3 public ACLs not blocked"),
    "CKV_AWS_54": (H, "S3 public policy not blocked"),
    "CKV_AWS_55": (H, "S3 public ACLs not ignored"),
    "CKV_AWS_56": (H, "S3 public buckets not restricted"),
    "CKV_GCP_28": (C, "GCS bucket public"),
    "CKV_AZURE_34": (C, "storage container public"),
    # Wildcard IAM
    "CKV_AWS_1": (C, "IAM policy grants full admin"),
    "CKV_AWS_62": (C, "IAM role grants *:*"),
    "CKV_AWS_63": (C, "IAM policy grants * actions"),
    "CKV_AWS_286": (H, "IAM privilege escalation"),
    "CKV_AWS_287": (H, "IAM credentials exposure"),
    "CKV_AWS_288": (H, "IAM data exfiltration"),
    "CKV_AWS_289": (H, "IAM permissions management"),
    "CKV_AWS_290": (H, "IAM write access without constraints"),
    "CKV2_AWS_40": (C, "IAM full privileges"),
    # IAM account password policy (category IAM, high): hygiene of console passwords, not an
    # opening; medium, so it is reported without blocking every Terraform repository
    **{f"CKV_AWS_{n}": (M, "IAM password policy strength") for n in range(9, 16)},
    # IAM-category hardening that is not an opening (measured on terragoat)
    "CKV_AWS_161": (M, "RDS IAM authentication off"),
    "CKV_AWS_162": (M, "RDS cluster IAM authentication off"),
    "CKV_AWS_359": (M, "Neptune IAM authentication off"),
    "CKV2_AWS_41": (M, "EC2 instance without an IAM role"),
    "CKV_AWS_273": (M, "IAM users instead of SSO"),
    "CKV_AZURE_16": (M, "App Service not registered with Entra ID"),
    # Hard-coded secrets
    "CKV_AWS_41": (C, "AWS credentials hard-coded in the provider"),
    "CKV_AWS_45": (C, "secrets in Lambda environment"),
    "CKV_AWS_46": (C, "secrets in EC2 user data"),
    "CKV_AZURE_41": (C, "secret without expiry"),
    # GitHub Actions
    "CKV_GHA_1": (H, "ACTIONS_ALLOW_UNSECURE_COMMANDS"),
    "CKV_GHA_2": (H, "shell injection"),
    "CKV_GHA_3": (M, "suspicious curl"),
    "CKV2_GHA_1": (M, "write-all permissions"),
}


def severity_for(check_id: str, categories: Iterable[str]) -> Severity:
    override = OVERRIDES.get(check_id)
    if override is not None:
        return override[0]
    for category in categories:
        if category in CATEGORY_SEVERITY:
            return CATEGORY_SEVERITY[category]
    return DEFAULT_SEVERITY
