# One Cloud Function (2nd gen, Python 3.12) per manifest entry.
#
#   http     ingress only from the load balancer (and internal), invoked unauthenticated
#            because the LB carries no Google identity: the app authenticates every
#            call itself (X-API-Key or Firebase ID token).
#   pubsub   internal ingress, invoked by our push subscription with an OIDC token.
#   storage  internal ingress, invoked by an Eventarc Cloud Storage trigger.

# Source: the bundle step writes build/functions/<name>/ (main.py, requirements.txt and
# the archbuilder package); each is zipped and stored under its content hash, so a
# function is rebuilt exactly when its bundle changes.
data "archive_file" "bundle" {
  for_each    = local.functions
  type        = "zip"
  source_dir  = "${var.bundle_dir}/${each.key}"
  output_path = "${path.root}/.terraform/bundles/${var.region_key}/${each.key}.zip"
}

resource "google_storage_bucket_object" "source" {
  for_each = local.functions
  bucket   = google_storage_bucket.sources.name
  name     = "${each.key}/${data.archive_file.bundle[each.key].output_sha256}.zip"
  source   = data.archive_file.bundle[each.key].output_path
}

resource "google_cloudfunctions2_function" "fn" {
  for_each    = local.functions
  project     = var.project_id
  location    = var.location
  name        = "${local.prefix}-${each.value.slug}"
  description = "${each.key} (${each.value.trigger_type} trigger), from functions/manifest.yaml"
  labels      = merge(local.labels, { function = each.value.slug })

  build_config {
    runtime         = "python312"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory   = each.value.memory
    timeout_seconds    = each.value.timeout_s
    max_instance_count = coalesce(each.value.max_instances, var.max_instances[each.value.trigger_type])
    min_instance_count = lookup(var.min_instances, each.key, 0)
    # Requests served at once per instance (var.concurrency; docs/operations.md, "Load and
    # capacity"). More than one needs a whole vCPU; one keeps the memory-derived CPU.
    max_instance_request_concurrency = lookup(var.concurrency, each.key, 1)
    available_cpu                    = lookup(var.concurrency, each.key, 1) > 1 ? "1" : null

    ingress_settings               = each.value.trigger_type == "http" ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.fn[each.key].email

    environment_variables = merge(local.common_env, {
      ARCHBUILDER_FUNCTION = each.key
      # functions-framework's request threads (default 4 per CPU): one per concurrent request.
      THREADS = tostring(max(lookup(var.concurrency, each.key, 1), 4))
      }, local.function_access[each.key].vertex_ai ? {
      # Gemini and the embeddings on Vertex AI, in the region's own location (data residency).
      ARCHBUILDER_AI_VERTEX_PROJECT  = var.project_id
      ARCHBUILDER_AI_VERTEX_LOCATION = var.location
      } : {}, local.function_access[each.key].ocr && local.ocr_enabled ? {
      # Scanned PDFs go to the OCR service (ocr.tf), with an ID token for this URL.
      ARCHBUILDER_OCR_URL = local.ocr_url
    } : {})

    # Secrets arrive as environment variables resolved at instance start ("latest"
    # version): a rotation reaches new instances without a deploy.
    dynamic "secret_environment_variables" {
      for_each = toset(concat(each.value.secrets, keys(local.platform_secrets)))
      content {
        key        = local.secret_env[secret_environment_variables.value]
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger_type == "storage" ? [each.value] : []
    content {
      trigger_region        = var.location
      event_type            = "google.cloud.storage.object.v1.finalized"
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.eventarc.email

      event_filters {
        attribute = "bucket"
        value     = local.bucket_names[event_trigger.value.bucket]
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.fn,
    google_project_iam_member.build,
    google_storage_bucket_iam_member.build_sources,
    google_project_iam_member.eventarc_receiver,
  ]
}

# Who may invoke which function (Cloud Run's run.invoker on the function's service).
resource "google_cloud_run_service_iam_member" "public_http" {
  #checkov:skip=CKV_GCP_102:Reachable only through the HTTPS load balancer (ingress ALLOW_INTERNAL_AND_GCLB), which carries no Google identity; the app authenticates every request
  for_each = local.http_functions
  project  = var.project_id
  location = var.location
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  # The ingress setting admits only the load balancer; authentication is the app's.
  member = "allUsers"
}

resource "google_cloud_run_service_iam_member" "pusher" {
  for_each = local.pubsub_functions
  project  = var.project_id
  location = var.location
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.pusher.member
}

resource "google_cloud_run_service_iam_member" "eventarc" {
  for_each = local.storage_functions
  project  = var.project_id
  location = var.location
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc.member
}
