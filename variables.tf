# Inputs of the root module. Project id, domain and alert addresses are never written in
# the repository: Cloud Build passes them as -var from its substitutions, and an
# operator keeps them in an untracked *.auto.tfvars. Per-environment sizing lives in
# infra/env/<env>.tfvars (no identifiers there).

variable "project_id" {
  description = "Google Cloud project of the environment (one project per environment)"
  type        = string
}

variable "environment" {
  description = "dev or prod; must match the workspace (<environment>-<region>)"
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "domain" {
  description = "Parent DNS domain of the API; region eu answers at eu.<domain>"
  type        = string
}

variable "regions" {
  description = "Data-residency regions: key => Google Cloud location and the location of its backups"
  type = map(object({
    location        = string
    backup_location = string
  }))
  default = {
    eu = {
      location        = "europe-west1"
      backup_location = "europe-west4"
    }
    us = {
      location        = "us-central1"
      backup_location = "us-east1"
    }
    asia = {
      location        = "asia-southeast1"
      backup_location = "asia-east1"
    }
  }
  validation {
    condition     = alltrue([for k, r in var.regions : r.location != r.backup_location])
    error_message = "A region's backups must be in another location than the region itself."
  }
}

variable "deploy_regions" {
  description = "Regions this run manages (one per workspace in Cloud Build); null = all of var.regions"
  type        = list(string)
  default     = null
  validation {
    condition     = var.deploy_regions == null || alltrue([for r in coalesce(var.deploy_regions, []) : contains(keys(var.regions), r)])
    error_message = "deploy_regions may only name keys of var.regions."
  }
}

variable "alert_emails" {
  description = "Addresses that receive alert notifications"
  type        = list(string)
  default     = []
}

variable "log_level" {
  description = "ARCHBUILDER_LOG_LEVEL of every function"
  type        = string
  default     = "INFO"
}

variable "max_instances" {
  description = "Default maximum instances per trigger type (http, pubsub, storage)"
  type        = map(number)
  default = {
    http    = 20
    pubsub  = 10
    storage = 5
  }
}

variable "min_instances" {
  description = "Warm instances by function name"
  type        = map(number)
  default     = {}
}

variable "ai_spend_daily_usd" {
  description = "AI spend per region and day that raises an alert (USD)"
  type        = number
  default     = 50
}

variable "bundle_dir" {
  description = "Where the bundle step put build/functions/<name>/ (relative to the repository root)"
  type        = string
  default     = "build/functions"
}

variable "ocr_image" {
  description = "The OCR service's image, <location>-docker.pkg.dev/<project>/archbuilder/ocr:<commit> (cloudbuild.yaml's ocr-image step); null: no OCR service"
  type        = string
  default     = null
}
