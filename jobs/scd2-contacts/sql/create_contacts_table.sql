-- Registers the contacts dimension (a Delta Lake table) in the platform's
-- Glue database through Athena. Idempotent.
CREATE EXTERNAL TABLE IF NOT EXISTS `${glue_database}`.`contacts_scd2`
LOCATION '${table_location}'
TBLPROPERTIES ('table_type' = 'DELTA')
