# dev: small and cold. Identifiers (project_id, domain, alert_emails) are passed by
# Cloud Build substitutions, never written here.
environment = "dev"
log_level   = "DEBUG"
max_instances = {
  http    = 5
  pubsub  = 3
  storage = 2
}
min_instances      = {}
ai_spend_daily_usd = 10
