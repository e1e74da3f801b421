# prod: the API answers without a cold start; workers scale further.
environment = "prod"
log_level   = "INFO"
max_instances = {
  http    = 50
  pubsub  = 20
  storage = 10
}
min_instances = {
  api_identity = 1
  api_layouts  = 1
}
ai_spend_daily_usd = 100
