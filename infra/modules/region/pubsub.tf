# Pub/Sub: one topic per logical topic, one push subscription per (function, topic),
# one dead-letter topic (with a pull subscription that keeps what lands there) per push
# subscription.
#
# Why push subscriptions and not Eventarc Pub/Sub triggers: the subscription Eventarc
# creates is not Terraform's, so its dead-letter policy, retry backoff and ack deadline
# could not be set here. A push subscription posts the Pub/Sub push envelope; the
# functions framework turns it into the same messagePublished CloudEvent Eventarc would
# deliver (tests/infra/test_push_delivery.py checks this with our handlers).

resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:Messages carry ids only (tenant, job, object names), never tenant content; Google-managed encryption at rest, regional storage policy
  for_each = toset(local.all_topics)
  project  = var.project_id
  name     = "${local.topic_prefix}${each.value}"
  labels   = local.labels

  # Messages stay in this region.
  message_storage_policy {
    allowed_persistence_regions = [var.location]
  }

  depends_on = [google_project_service.api]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Holds copies of the same id-only messages as the source topic; Google-managed encryption at rest
  for_each = module.manifest.subscriptions
  project  = var.project_id
  name     = "${local.prefix}-${each.key}-dead-letter"
  labels   = local.labels

  message_storage_policy {
    allowed_persistence_regions = [var.location]
  }
}

# Dead letters are kept for a week for an operator to inspect and replay
# (docs/operations.md, "Dead-letter backlog"); a topic without a subscription would
# drop them.
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = module.manifest.subscriptions
  project                    = var.project_id
  name                       = "${local.prefix}-${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  labels                     = local.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = module.manifest.subscriptions
  project  = var.project_id
  name     = "${local.prefix}-${each.key}"
  topic    = google_pubsub_topic.topic[each.value.topic].id
  labels   = local.labels

  # Redelivered if not acknowledged within the function's timeout (Pub/Sub caps it at
  # 600 s; the function's own timeout is the real bound).
  ack_deadline_seconds = min(600, max(10, local.functions[each.value.function].timeout_s))
  # Undelivered messages are kept as long as the handler would still act on them (its
  # max_event_age_s), at least a day and at most Pub/Sub's 7 days.
  message_retention_duration = "${min(604800, max(86400, coalesce(local.functions[each.value.function].max_event_age_s, 86400)))}s"

  # Publishers use ordering keys (per job); ordering is honoured only when enabled here.
  enable_message_ordering = true

  # The handlers are idempotent (ARCHITECTURE §5); exponential backoff between attempts.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  push_config {
    # The topic path in the URL lets the functions framework name the event source.
    push_endpoint = "${google_cloudfunctions2_function.fn[each.value.function].service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.topic[each.value.topic].name}"

    oidc_token {
      service_account_email = google_service_account.pusher.email
      audience              = google_cloudfunctions2_function.fn[each.value.function].service_config[0].uri
    }
  }

  expiration_policy {
    ttl = ""
  }
}
