# Buckets of the region. All of them: uniform bucket-level access (no object ACLs),
# public access prevention enforced, versioning on, Google-managed encryption, and
# usage logs (who read or wrote which object) in the access-logs bucket.

# Usage logs of the other buckets, kept 90 days.
resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log bucket itself; logging it into itself would log every log write
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}-access-logs"
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Cloud Storage writes usage logs as this Google-owned group.
resource "google_storage_bucket_iam_member" "access_logs_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}

# Uploads: clients PUT CAD files here through signed URLs; every finalized object
# triggers cad_ingest (functions.tf).
resource "google_storage_bucket" "uploads" {
  project                     = var.project_id
  name                        = local.bucket_names.uploads
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "uploads/"
  }

  versioning {
    enabled = true
  }

  # An XML multipart upload that was started but never completed (the client gave up)
  # leaves parts that are billed but invisible: abort them after a day.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # A re-upload or a delete keeps the previous version (recoverable by an operator) for
  # a week, then it goes.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.upload_noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Uploads whose signed URL expired without a model being made are deleted by the
  # maintenance function (it knows which uploads are abandoned); old sources that are
  # kept move to a cheaper class.
  lifecycle_rule {
    condition {
      age        = 90
      with_state = "LIVE"
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  depends_on = [google_project_service.api]
}

# Artifacts: layout exports (DXF, IFC, SVG, JSON) and ingested models.
resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = local.bucket_names.artifacts
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "artifacts/"
  }

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Function sources: one zip per function and content hash. Old zips are deleted by age
# only once they are no longer current (a current zip is what a redeploy rebuilds from).
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}-sources"
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # build output only, recreated by the next deploy
  labels                      = local.labels

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "sources/"
  }

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Firestore exports, in another location of the same residency area, so a regional
# outage or a deleted database does not take the backups with it.
resource "google_storage_bucket" "backups" {
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}-backups"
  location                    = var.backup_location
  storage_class               = "NEARLINE"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "backups/"
  }

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = var.backup_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}
