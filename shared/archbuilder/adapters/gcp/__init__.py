"""Google Cloud adapters: Firestore, Cloud Storage, Pub/Sub, Secret Manager, Firebase Auth.

Only these modules import ``google.cloud``/``firebase_admin``; the rest of the package
never does, so the embedded runtime starts without them.
"""
