"""Uploads judged by their bytes, with no database: rules (limits, kinds, refusals), names (safe display
names) and detect (the byte inspection, `inspect_upload`). Storing a checked file is
`grants.services.attachments`."""
