output "regions" {
  description = "Per region: API URL, the IP address for its DNS record, database, buckets, secrets to fill"
  value = {
    for key, r in module.region : key => {
      api_url            = r.api_url
      api_ip_address     = r.api_ip_address
      firestore_database = r.firestore_database
      buckets            = r.buckets
      secrets            = r.secrets
      functions          = r.functions
    }
  }
}
