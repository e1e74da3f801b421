# Root Terraform configuration. The per-region module (infra/) arrives with issue 10;
# until then this file only pins the toolchain and declares the regions to provision.
terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

variable "project_id" {
  description = "Google Cloud project that hosts ArchBuilder Cloud"
  type        = string
}

variable "regions" {
  description = "Data-residency regions and their Google Cloud locations"
  type        = map(string)
  default = {
    eu   = "europe-west1"
    us   = "us-central1"
    asia = "asia-southeast1"
  }
}
