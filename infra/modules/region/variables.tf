# Inputs of one region stack. Nothing here has a project id, a domain or a secret as a
# default: those come from the root module (Cloud Build substitutions or an untracked
# *.auto.tfvars), so the code can be public.

variable "project_id" {
  description = "Google Cloud project of this environment"
  type        = string
}

variable "environment" {
  description = "Deployment environment (dev or prod); labels and naming only"
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region_key" {
  description = "Data-residency region key (eu, us, asia): part of every resource name"
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2,8}$", var.region_key))
    error_message = "region_key must be 2-8 lowercase letters."
  }
}

variable "location" {
  description = "Google Cloud region of the stack (functions, buckets, Firestore, secrets)"
  type        = string
}

variable "backup_location" {
  description = "Another Google Cloud region of the same residency area for Firestore exports"
  type        = string
  validation {
    condition     = length(var.backup_location) > 0
    error_message = "backup_location is required."
  }
}

variable "hostname" {
  description = "Public API hostname of this region (the managed certificate is issued for it)"
  type        = string
}

variable "manifest_path" {
  description = "Path of functions/manifest.yaml"
  type        = string
}

variable "bundle_dir" {
  description = "Folder with one built bundle per function (build/functions/<name>/), made by the bundle step"
  type        = string
}

variable "firestore_indexes_path" {
  description = "Path of firestore.indexes.json; composite indexes are created from it when the file exists"
  type        = string
}

variable "log_level" {
  description = "ARCHBUILDER_LOG_LEVEL of every function"
  type        = string
  default     = "INFO"
}

variable "max_instances" {
  description = "Default maximum instances per trigger type; a manifest max_instances wins"
  type        = map(number)
  default = {
    http    = 20
    pubsub  = 10
    storage = 5
  }
}

variable "concurrency" {
  description = "Requests one instance serves at once, by function name; absent means 1 (docs/operations.md, Load and capacity)"
  type        = map(number)
  # The light APIs wait on Firestore most of a request: several per instance. The CPU-bound
  # layout worker, CAD ingestion, maintenance and erasure: one, so a plan has the CPU alone.
  default = {
    api_identity         = 8
    api_projects         = 8
    api_layouts          = 8
    api_billing          = 8
    stripe_webhook       = 8
    api_admin            = 4
    api_compliance       = 2
    billing_worker       = 4
    billing_usage_worker = 8
    webhook_dispatcher   = 8
  }
}

variable "min_instances" {
  description = "Minimum (warm) instances by function name; absent means 0"
  type        = map(number)
  default     = {}
}

variable "default_function" {
  description = "HTTP function that answers paths no route matches (it replies with a JSON 404)"
  type        = string
  default     = "api_identity"
}

variable "armor_ip_requests_per_minute" {
  description = "Cloud Armor limit per client IP for requests without an API key"
  type        = number
  default     = 300
}

variable "armor_key_requests_per_minute" {
  description = "Cloud Armor limit per X-API-Key header value"
  type        = number
  default     = 600
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries of one message before it goes to the dead-letter topic (5-100)"
  type        = number
  default     = 5
}

variable "ttl_collections" {
  description = "Collection groups whose documents Firestore deletes at their _expire_at timestamp"
  type        = list(string)
  default     = ["idempotency", "ai_cache", "stripe_events", "rate_limits"]
}

variable "upload_noncurrent_days" {
  description = "Days an overwritten or deleted upload version is kept"
  type        = number
  default     = 7
}

variable "backup_retention_days" {
  description = "Days a Firestore export is kept in the backup bucket"
  type        = number
  default     = 30
}

variable "firestore_export_schedule" {
  description = "Cron (UTC) of the daily Firestore export"
  type        = string
  default     = "0 2 * * *"
}

variable "maintenance_schedule" {
  description = "Cron (UTC) of the maintenance run (only when the manifest has a maintenance function)"
  type        = string
  default     = "30 3 * * *"
}

variable "maintenance_message" {
  description = "JSON object Cloud Scheduler publishes to the maintenance topic"
  type        = string
  default     = "{\"task\":\"all\"}"
}

variable "alert_emails" {
  description = "Addresses that receive alert notifications (none: alerts only show in the console)"
  type        = list(string)
  default     = []
}

variable "error_rate_threshold" {
  description = "Alert when this fraction of requests fails with 5xx over 5 minutes"
  type        = number
  default     = 0.05
}

variable "latency_p95_threshold_ms" {
  description = "Alert when the 95th percentile request latency exceeds this for 10 minutes"
  type        = number
  default     = 2000
}

variable "ai_spend_daily_usd" {
  description = "Alert when the AI providers cost more than this in 24 hours (USD)"
  type        = number
  default     = 50
}

variable "ocr_image" {
  description = "The OCR service's image (Artifact Registry, built from infra/ocr/Dockerfile by Cloud Build); null: no OCR service, scans are refused"
  type        = string
  default     = null
}

variable "ocr_max_instances" {
  description = "Most OCR service instances at once (each reads one scan at a time)"
  type        = number
  default     = 5
}
