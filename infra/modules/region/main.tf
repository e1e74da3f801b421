# One data-residency region of ArchBuilder Cloud: everything a tenant pinned to this
# region touches lives here, in var.location, named archbuilder-<region_key>-*.
#
# What runs is read from functions/manifest.yaml (module.manifest), never listed by
# hand, so adding a function to the manifest adds its service account, function,
# subscription or route on the next plan.

module "manifest" {
  source        = "../manifest"
  manifest_path = var.manifest_path
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  prefix = "archbuilder-${var.region_key}"

  labels = {
    app         = "archbuilder"
    environment = var.environment
    data_region = var.region_key
  }

  functions         = module.manifest.functions
  http_functions    = module.manifest.http_functions
  pubsub_functions  = module.manifest.pubsub_functions
  storage_functions = module.manifest.storage_functions

  # Logical bucket name (as the manifest and the BlobStore port say it) => bucket.
  # Buckets are global names, hence the project id.
  bucket_names = {
    uploads   = "${var.project_id}-${local.prefix}-uploads"
    artifacts = "${var.project_id}-${local.prefix}-artifacts"
  }

  # Pub/Sub topic ids carry the region so that all regions can share one project;
  # the PubSubEventBus adapter adds ARCHBUILDER_PUBSUB_TOPIC_PREFIX to logical names.
  topic_prefix = "${local.prefix}-"

  # Secrets every function mounts whatever the manifest says: settings refuse to start
  # with ARCHBUILDER_ENV=prod and no URL signing key.
  platform_secrets = {
    "url-signing-key" = "ARCHBUILDER_URL_SIGNING_KEY"
  }
  all_secrets = sort(distinct(concat(module.manifest.secrets, keys(local.platform_secrets))))

  # Environment shared by every function (settings.py reads ARCHBUILDER_*).
  common_env = {
    ARCHBUILDER_ENV                 = "prod"
    ARCHBUILDER_DEPLOYMENT          = var.environment
    ARCHBUILDER_GCP_PROJECT         = var.project_id
    ARCHBUILDER_DATA_REGION         = var.region_key
    ARCHBUILDER_LOG_LEVEL           = var.log_level
    ARCHBUILDER_FIRESTORE_DATABASE  = google_firestore_database.main.name
    ARCHBUILDER_UPLOADS_BUCKET      = google_storage_bucket.uploads.name
    ARCHBUILDER_ARTIFACTS_BUCKET    = google_storage_bucket.artifacts.name
    ARCHBUILDER_PUBSUB_TOPIC_PREFIX = local.topic_prefix
    # The HTTP functions sit behind the external HTTPS load balancer (ingress
    # ALLOW_INTERNAL_AND_GCLB), which appends "<client>, <itself>" to X-Forwarded-For.
    ARCHBUILDER_TRUSTED_PROXY_HOPS = "1"
  }

  # What each function may touch besides Firestore (which all of them use). The
  # manifest says how a function is triggered, not what it writes, so the grants are
  # listed here. A manifest function missing from this table would get Firestore and its
  # own secrets only; tests/infra fails on it so that its grants are decided explicitly.
  #   buckets: logical bucket => "read" | "write"; publishes: logical topics;
  #   sign_urls: signs upload/download URLs with its own identity (signBlob on itself).
  #   vertex_ai: calls Gemini and the embeddings on Vertex AI in the region's own location
  #   (the AI router's Gemini provider; the regulation library's embeddings).
  access = {
    api_identity         = { buckets = { artifacts = "read" }, publishes = ["privacy-jobs", "webhook-deliveries"], sign_urls = true, vertex_ai = false, ocr = false }
    api_projects         = { buckets = { uploads = "write", artifacts = "read" }, publishes = [], sign_urls = true, vertex_ai = true, ocr = false }
    api_layouts          = { buckets = { artifacts = "read" }, publishes = ["layout-requests", "usage-events"], sign_urls = true, vertex_ai = true, ocr = false }
    api_compliance       = { buckets = { artifacts = "read", uploads = "read" }, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    api_regulations      = { buckets = { uploads = "write" }, publishes = [], sign_urls = true, vertex_ai = true, ocr = true } # signs document uploads; its library: Firestore + Vertex embeddings
    api_billing          = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    api_admin            = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false } # reads Firestore only
    stripe_webhook       = { buckets = {}, publishes = ["billing-events"], sign_urls = false, vertex_ai = false, ocr = false }
    layout_worker        = { buckets = { artifacts = "write" }, publishes = ["usage-events", "webhook-deliveries"], sign_urls = false, vertex_ai = true, ocr = false }
    cad_ingest           = { buckets = { uploads = "write", artifacts = "write" }, publishes = ["usage-events", "webhook-deliveries"], sign_urls = false, vertex_ai = true, ocr = true } # deletes a regulation document's upload once indexed
    billing_worker       = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    billing_usage_worker = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    webhook_dispatcher   = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    maintenance          = { buckets = { uploads = "write", artifacts = "write" }, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }
    privacy_worker       = { buckets = { uploads = "write", artifacts = "write" }, publishes = [], sign_urls = true, vertex_ai = false, ocr = false }
  }
  no_access = { buckets = {}, publishes = [], sign_urls = false, vertex_ai = false, ocr = false }

  function_access = { for k, f in local.functions : k => lookup(local.access, k, local.no_access) }

  bucket_grants = merge([
    for fn, a in local.function_access : {
      for b, mode in a.buckets : "${fn}--${b}" => {
        function = fn
        bucket   = b
        role     = mode == "write" ? "roles/storage.objectUser" : "roles/storage.objectViewer"
      }
    }
  ]...)

  # Topics that are published to: consumed ones (from the manifest) and produced ones
  # (from the access table), so a producer can ship before its consumer.
  all_topics = sort(distinct(concat(
    module.manifest.topics,
    flatten([for a in values(local.function_access) : a.publishes]),
    module.manifest.has_maintenance ? ["maintenance"] : [],
  )))

  publish_grants = merge([
    for fn, a in local.function_access : {
      for t in a.publishes : "${fn}--${t}" => { function = fn, topic = t }
    }
  ]...)
}
