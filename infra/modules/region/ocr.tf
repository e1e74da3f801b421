# The OCR service (docs/regulations.md, "Where OCR runs"): Google Cloud's functions have no
# Tesseract (built from source onto Google's base image, no apt-get), so a scanned PDF is sent
# to this Cloud Run service, built from infra/ocr/Dockerfile by Cloud Build (ocr-image step).
# Without var.ocr_image there is none, and a scan is refused REGULATION_OCR_UNAVAILABLE.
#
# Access is Cloud Run IAM: only the functions with `ocr` in local.access (cad_ingest and
# api_regulations) hold run.invoker and call it with a Google ID token for its URL. Ingress is
# ALL, not INTERNAL_ONLY: a function's request counts as internal only when it leaves through a
# VPC (Direct VPC egress or a connector), and this stack has no VPC; anyone else gets 403 from
# Cloud Run before the container sees the request.

locals {
  ocr_enabled = var.ocr_image != null
  # The service's URL, set as ARCHBUILDER_OCR_URL on the functions that may call it.
  ocr_url = local.ocr_enabled ? google_cloud_run_v2_service.ocr[0].uri : null
}

# The service's runtime identity: no roles. It reads the bytes it is sent and writes nothing
# (logs go through stdout).
resource "google_service_account" "ocr" {
  project      = var.project_id
  account_id   = "ab-${var.region_key}-ocr"
  display_name = "ArchBuilder ${var.region_key} OCR service"
  description  = "Runtime identity of the OCR service in ${var.location}: no roles"
}

resource "google_cloud_run_v2_service" "ocr" {
  count               = local.ocr_enabled ? 1 : 0
  project             = var.project_id
  location            = var.location
  name                = "${local.prefix}-ocr"
  description         = "Tesseract OCR of scanned regulation PDFs (infra/ocr/Dockerfile)"
  labels              = merge(local.labels, { function = "ocr" })
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false # stateless: nothing is lost with it

  template {
    service_account                  = google_service_account.ocr.email
    max_instance_request_concurrency = 1 # one scan at a time per instance: the OCR child takes the whole vCPU
    # Above the OCR child's 600 s wall time (ocr_service.SERVICE_LIMITS).
    timeout               = "660s"
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

    scaling {
      min_instance_count = 0
      max_instance_count = var.ocr_max_instances
    }

    containers {
      image = var.ocr_image

      resources {
        limits = {
          cpu    = "1"
          memory = "2Gi"
        }
        cpu_idle = true # CPU only while a request is served
      }

      env {
        name  = "ARCHBUILDER_LOG_LEVEL"
        value = var.log_level
      }
      env {
        name  = "ARCHBUILDER_GCP_PROJECT"
        value = var.project_id
      }
    }
  }

  depends_on = [google_project_service.api]
}

# Only the functions that add regulation documents may call it.
resource "google_cloud_run_v2_service_iam_member" "ocr_invoker" {
  for_each = local.ocr_enabled ? { for fn, a in local.function_access : fn => a if a.ocr } : {}
  project  = var.project_id
  location = var.location
  name     = google_cloud_run_v2_service.ocr[0].name
  role     = "roles/run.invoker"
  member   = google_service_account.fn[each.key].member
}
