"""oneplan as other systems see it: the event contract (``oneplan.interop.schemas``:
JSON Schema for every event and command, and the catalogue in ``docs/events.md``) and
the FHIR R5 export of a plan (``oneplan.interop.fhir``; a service exports through a
session, ``app.as_(principal).fhir_bundle(...)``, which checks and logs it).

The modules are imported on their own (``fhir.resources`` takes a while to import)."""
