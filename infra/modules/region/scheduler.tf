# Cloud Scheduler: the daily Firestore export, and the maintenance run when the
# manifest has a maintenance function.

# Exports the whole database to the backup bucket (another location). With a bucket-only
# output URI Firestore names each export folder by its start time, so exports never
# overwrite each other; the bucket's lifecycle deletes them after the retention.
resource "google_cloud_scheduler_job" "firestore_export" {
  project          = var.project_id
  region           = var.location
  name             = "${local.prefix}-firestore-export"
  description      = "Daily export of ${google_firestore_database.main.name} to ${google_storage_bucket.backups.name}"
  schedule         = var.firestore_export_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
  }

  http_target {
    http_method = "POST"
    uri         = "https://firestore.googleapis.com/v1/${google_firestore_database.main.id}:exportDocuments"
    body        = base64encode(jsonencode({ outputUriPrefix = "gs://${google_storage_bucket.backups.name}" }))
    headers = {
      "Content-Type" = "application/json"
    }

    oauth_token {
      service_account_email = google_service_account.exporter.email
      scope                 = "https://www.googleapis.com/auth/datastore"
    }
  }

  depends_on = [
    google_project_service.api,
    google_project_iam_member.exporter_datastore,
    google_storage_bucket_iam_member.exporter_backups,
    google_storage_bucket_iam_member.firestore_agent_backups,
  ]
}

# Maintenance (retention, GDPR erasure, expired keys and jobs): Scheduler publishes to
# the maintenance topic, whose push subscription (pubsub.tf) runs the function with the
# same retries and dead-lettering as every other event.
resource "google_cloud_scheduler_job" "maintenance" {
  count       = module.manifest.has_maintenance ? 1 : 0
  project     = var.project_id
  region      = var.location
  name        = "${local.prefix}-maintenance"
  description = "Daily maintenance run of the ${var.region_key} region"
  schedule    = var.maintenance_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topic["maintenance"].id
    data       = base64encode(var.maintenance_message)
    attributes = {
      source = "cloud-scheduler"
    }
  }

  depends_on = [google_project_service.api]
}
