# The disaster copy of the objects: the uploads and artifacts buckets mirrored every night
# into a bucket in var.backup_location (the same residency area, another region), beside
# the Firestore exports (storage.tf, scheduler.tf). Objects deleted at the source (an
# erasure, retention) are deleted from the mirror too, so an erasure reaches the copy within
# a day; the mirror's versioning keeps what it overwrote or deleted for
# var.backup_retention_days, so a restore can go back that far.
# Restore: `archbuilder admin restore` (docs/operations.md, "Restoring from a backup").

resource "google_storage_bucket" "object_replica" {
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}-object-replica"
  location                    = var.backup_location
  storage_class               = "NEARLINE"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "object-replica/"
  }

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.backup_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Storage Transfer Service copies with its own Google-managed service account.
data "google_storage_transfer_project_service_account" "this" {
  project    = var.project_id
  depends_on = [google_project_service.api]
}

locals {
  replicated_buckets = {
    uploads   = google_storage_bucket.uploads.name
    artifacts = google_storage_bucket.artifacts.name
  }
  transfer_agent = "serviceAccount:${data.google_storage_transfer_project_service_account.this.email}"
}

resource "google_storage_bucket_iam_member" "transfer_reads_source" {
  for_each = local.replicated_buckets
  bucket   = each.value
  role     = "roles/storage.objectViewer"
  member   = local.transfer_agent
}

resource "google_storage_bucket_iam_member" "transfer_lists_source" {
  for_each = local.replicated_buckets
  bucket   = each.value
  role     = "roles/storage.legacyBucketReader"
  member   = local.transfer_agent
}

resource "google_storage_bucket_iam_member" "transfer_writes_replica" {
  bucket = google_storage_bucket.object_replica.name
  role   = "roles/storage.objectAdmin"
  member = local.transfer_agent
}

resource "google_storage_bucket_iam_member" "transfer_lists_replica" {
  bucket = google_storage_bucket.object_replica.name
  role   = "roles/storage.legacyBucketWriter"
  member = local.transfer_agent
}

resource "google_storage_transfer_job" "object_replica" {
  for_each    = local.replicated_buckets
  project     = var.project_id
  description = "${local.prefix}: nightly mirror of ${each.key} into ${google_storage_bucket.object_replica.name}"

  transfer_spec {
    gcs_data_source {
      bucket_name = each.value
    }
    gcs_data_sink {
      bucket_name = google_storage_bucket.object_replica.name
      path        = "${each.key}/"
    }
    transfer_options {
      delete_objects_unique_in_sink = true
    }
  }

  schedule {
    schedule_start_date {
      year  = 2026
      month = 1
      day   = 1
    }
    # An hour after the Firestore export (var.firestore_export_schedule, 02:00 UTC by default).
    start_time_of_day {
      hours   = 3
      minutes = 0
      seconds = 0
      nanos   = 0
    }
    repeat_interval = "86400s"
  }

  depends_on = [
    google_storage_bucket_iam_member.transfer_reads_source,
    google_storage_bucket_iam_member.transfer_lists_source,
    google_storage_bucket_iam_member.transfer_writes_replica,
    google_storage_bucket_iam_member.transfer_lists_replica,
  ]
}
