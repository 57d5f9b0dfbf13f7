"""Validates the served OpenAPI document against the OpenAPI 3.1 specification."""
import json
import sys
import urllib.request

from openapi_spec_validator import validate

url = sys.argv[1]
with urllib.request.urlopen(url) as res:
    document = json.load(res)
validate(document)
operations = sum(len(item) for item in document["paths"].values())
print(f"openapi-spec-validator: {url} is a valid OpenAPI {document['openapi']} document ({operations} operations)")
