# Identities. Each function runs as its own service account holding only what it uses,
# so a bug in one function cannot read another's secrets or write another's buckets.
# Project-wide roles are avoided; where a project-level binding is unavoidable
# (Firestore) an IAM condition narrows it to this region's database.

resource "google_service_account" "fn" {
  for_each     = local.functions
  project      = var.project_id
  account_id   = trim(substr("ab-${var.region_key}-${each.value.slug}", 0, 30), "-")
  display_name = "ArchBuilder ${var.region_key} ${each.key}"
  description  = "Runtime identity of the ${each.key} function in ${var.location}"
}

# Builds the function images (Cloud Build runs as it): reads the source zip, writes the
# image to Artifact Registry, writes build logs. Not the Compute default account.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "ab-${var.region_key}-fn-build"
  display_name = "ArchBuilder ${var.region_key} function builds"
}

# Pub/Sub signs the push requests to the event functions with this identity (OIDC).
resource "google_service_account" "pusher" {
  project      = var.project_id
  account_id   = "ab-${var.region_key}-pusher"
  display_name = "ArchBuilder ${var.region_key} Pub/Sub push"
}

# Eventarc invokes cad_ingest with this identity.
resource "google_service_account" "eventarc" {
  project      = var.project_id
  account_id   = "ab-${var.region_key}-eventarc"
  display_name = "ArchBuilder ${var.region_key} Eventarc triggers"
}

# Cloud Scheduler calls the Firestore export API with this identity.
resource "google_service_account" "exporter" {
  project      = var.project_id
  account_id   = "ab-${var.region_key}-exporter"
  display_name = "ArchBuilder ${var.region_key} Firestore exports"
}

# --- Firestore: every function reads and writes documents, of this database only.
resource "google_project_iam_member" "fn_datastore" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = google_service_account.fn[each.key].member
  condition {
    title      = "${local.prefix}-database-only"
    expression = "resource.name == \"${google_firestore_database.main.id}\""
  }
}

resource "google_project_iam_member" "exporter_datastore" {
  project = var.project_id
  role    = "roles/datastore.importExportAdmin"
  member  = google_service_account.exporter.member
  condition {
    title      = "${local.prefix}-database-only"
    expression = "resource.name == \"${google_firestore_database.main.id}\""
  }
}

# --- Buckets, per function and bucket (see local.access).
resource "google_storage_bucket_iam_member" "fn" {
  for_each = local.bucket_grants
  bucket   = local.bucket_names[each.value.bucket]
  role     = each.value.role
  member   = google_service_account.fn[each.value.function].member
  depends_on = [
    google_storage_bucket.uploads,
    google_storage_bucket.artifacts,
  ]
}

# Vertex AI (Gemini through the AI router, the regulation library's embeddings): only the
# functions that call it. roles/aiplatform.user is the narrowest predefined role that can call a
# model's predict/generateContent; Vertex has no per-model IAM to narrow it further.
resource "google_project_iam_member" "fn_vertex_ai" {
  for_each = { for k, a in local.function_access : k => a if a.vertex_ai }
  project  = var.project_id
  role     = "roles/aiplatform.user"
  member   = google_service_account.fn[each.key].member
}

# Signed URLs without a key file: the function signs with the IAM signBlob API as itself.
resource "google_service_account_iam_member" "fn_sign_self" {
  for_each           = { for k, a in local.function_access : k => a if a.sign_urls }
  service_account_id = google_service_account.fn[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.fn[each.key].member
}

# --- Pub/Sub publishing, per function and topic.
resource "google_pubsub_topic_iam_member" "fn_publish" {
  for_each = local.publish_grants
  project  = var.project_id
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = google_service_account.fn[each.value.function].member
}

# --- Secrets: a function reads the secrets it mounts, nothing else.
locals {
  secret_grants = merge([
    for fn, f in local.functions : {
      for s in concat(f.secrets, keys(local.platform_secrets)) : "${fn}--${s}" => { function = fn, secret = s }
    }
  ]...)
}

resource "google_secret_manager_secret_iam_member" "fn" {
  for_each  = local.secret_grants
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.value.function].member
}

# --- Function builds.
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# --- Eventarc: receive events and invoke cad_ingest (run.invoker is set per service in
# functions.tf).
resource "google_project_iam_member" "eventarc_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.eventarc.member
}

# --- Pub/Sub service agent: mint OIDC tokens for the pusher (push auth), publish to
# dead-letter topics and acknowledge on the source subscriptions (dead-lettering).
locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_service_account_iam_member" "pubsub_agent_token" {
  service_account_id = google_service_account.pusher.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter" {
  for_each = module.manifest.subscriptions
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_source" {
  for_each     = module.manifest.subscriptions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# --- Exports: the exporter writes the backup bucket; the Firestore service agent does
# the actual writing during an export, so it needs the bucket too.
resource "google_storage_bucket_iam_member" "exporter_backups" {
  bucket = google_storage_bucket.backups.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.exporter.member
}

resource "google_storage_bucket_iam_member" "firestore_agent_backups" {
  bucket = google_storage_bucket.backups.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-firestore.iam.gserviceaccount.com"
}
