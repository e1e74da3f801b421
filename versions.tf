# Toolchain and state. Providers are downloaded by `terraform init` in Cloud Build; on a
# developer machine only `terraform fmt` and the offline checks in tests/infra run.
terraform {
  # 1.9+: variable validations may refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }

  # Remote state in a GCS bucket (versioned, created once per project: docs/deploy.md).
  # The bucket is given at init time so no project name is written here:
  #   terraform init -backend-config="bucket=<project>-archbuilder-tfstate"
  # Each workspace is one state object: archbuilder/<env>-<region>.tfstate.
  backend "gcs" {
    prefix = "archbuilder"
  }
}
