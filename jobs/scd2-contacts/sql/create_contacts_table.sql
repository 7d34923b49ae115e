-- Registers the contacts dimension (a Delta Lake table) in the platform's
-- Glue database through Athena. Idempotent. table_suffix is empty in jobs
-- and _sandbox in JupyterHub, so interactive runs register their own table.
CREATE EXTERNAL TABLE IF NOT EXISTS `${glue_database}`.`contacts_scd2${table_suffix}`
LOCATION '${table_location}'
TBLPROPERTIES ('table_type' = 'DELTA')
