"""A light client for the Arbiter service, with TRL and verl reward adapters. Imports only httpx."""
