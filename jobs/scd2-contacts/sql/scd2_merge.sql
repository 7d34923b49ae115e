-- SCD2 merge of the rows scd2_changes.sql prepared into the contacts
-- dimension, a Delta table at ${target_uri}. Arc 4.2.0 runs it through
-- Spark SQL with Delta Lake's extension (the image's spark-defaults.conf
-- sets spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension); its
-- Delta Lake plugin (3.1.0) has no merge stage of its own.
-- A matched current row whose content changed is closed; every row whose
-- merge_key matches nothing (new contacts, new versions) is inserted.
MERGE INTO delta.`${target_uri}` AS target
USING ${changes_view} AS source
ON target.contact_id = source.merge_key AND target.is_current = true
WHEN MATCHED AND target.row_hash <> source.row_hash THEN
  UPDATE SET valid_to = source.valid_from, is_current = false
WHEN NOT MATCHED THEN
  INSERT (contact_id, name, email, state, updated_at, valid_from, valid_to, is_current, row_hash)
  VALUES (source.contact_id, source.name, source.email, source.state, source.updated_at,
          source.valid_from, source.valid_to, source.is_current, source.row_hash)
