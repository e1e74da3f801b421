output "api_url" {
  description = "Public base URL of the region"
  value       = "https://${var.hostname}"
}

output "api_ip_address" {
  description = "Address the hostname's A record must point to (docs/deploy.md, DNS)"
  value       = google_compute_global_address.api.address
}

output "firestore_database" {
  description = "Firestore database of the region"
  value       = google_firestore_database.main.name
}

output "buckets" {
  description = "Buckets of the region by role"
  value = {
    uploads   = google_storage_bucket.uploads.name
    artifacts = google_storage_bucket.artifacts.name
    sources   = google_storage_bucket.sources.name
    backups   = google_storage_bucket.backups.name
  }
}

output "functions" {
  description = "Deployed function names by manifest name"
  value       = { for k, f in google_cloudfunctions2_function.fn : k => f.name }
}

output "topics" {
  description = "Pub/Sub topic ids by logical name"
  value       = { for k, t in google_pubsub_topic.topic : k => t.name }
}

output "secrets" {
  description = "Secret Manager secret ids to fill in (docs/deploy.md, Secrets)"
  value       = { for k, s in google_secret_manager_secret.secret : k => s.secret_id }
}

output "dashboard_id" {
  description = "Cloud Monitoring dashboard of the region"
  value       = google_monitoring_dashboard.region.id
}
