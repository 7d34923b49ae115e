-- Adds the type 2 slowly changing dimension columns to typed contacts.
-- A version is valid from the source's updated_at until the next version
-- replaces it; row_hash detects changes in the tracked attributes.
SELECT
  contact_id,
  name,
  email,
  state,
  updated_at,
  updated_at AS valid_from,
  CAST(NULL AS TIMESTAMP) AS valid_to,
  TRUE AS is_current,
  SHA2(CONCAT_WS('|', name, COALESCE(email, ''), COALESCE(state, '')), 256) AS row_hash
FROM ${input_view}
WHERE SIZE(_errors) = 0
