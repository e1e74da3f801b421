# The region's Firestore database (native mode, named, in the region's location).

resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = local.prefix
  location_id = var.location
  type        = "FIRESTORE_NATIVE"

  # The adapter uses transactions with optimistic retries (DocumentStore port).
  concurrency_mode = "OPTIMISTIC"

  # Seven days of point-in-time reads: an operator can read (and restore from) the state
  # before a bad deploy or a mistaken erase.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"

  # The database holds every tenant of the region: neither the console nor a stray
  # `terraform destroy` may delete it. Destroy fails until protection is lifted by hand.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "DELETE"

  depends_on = [google_project_service.api]
}

# TTL: Firestore deletes a document some time after its _expire_at timestamp. The
# adapter mirrors the port's ISO `expires_at` string into `_expire_at` (a real
# timestamp), because TTL ignores strings.
resource "google_firestore_field" "ttl" {
  for_each   = toset(var.ttl_collections)
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value
  field      = "_expire_at"

  ttl_config {}

  # No index_config block: the field keeps the database's default single-field indexes.
}

# Composite indexes, from the same firestore.indexes.json the adapter checks queries
# against (adapters/gcp/indexes.py), so a query that works in tests has its index here.
locals {
  firestore_indexes_doc = fileexists(var.firestore_indexes_path) ? jsondecode(file(var.firestore_indexes_path)) : { indexes = [] }
  firestore_indexes = {
    for ix in try(local.firestore_indexes_doc.indexes, []) :
    join("--", concat([ix.collectionGroup], [
      for f in ix.fields : "${f.fieldPath}:${try(f.order, try(f.arrayConfig, ""))}"
    ])) => ix
  }
}

resource "google_firestore_index" "composite" {
  for_each    = local.firestore_indexes
  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)

      # A vector field (the regulation library's embeddings): a flat index of that dimension.
      dynamic "vector_config" {
        for_each = can(fields.value.vectorConfig) ? [fields.value.vectorConfig] : []
        content {
          dimension = vector_config.value.dimension
          flat {}
        }
      }
    }
  }
}

# Daily managed backups in the same location (fast restore of the whole database; a
# daily schedule keeps at most 7 days), on top of the exports to another location
# (scheduler.tf), which are kept var.backup_retention_days.
resource "google_firestore_backup_schedule" "daily" {
  project   = var.project_id
  database  = google_firestore_database.main.name
  retention = "604800s"

  daily_recurrence {}
}
