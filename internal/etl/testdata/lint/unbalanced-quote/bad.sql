SELECT name
FROM contacts
WHERE state = 'NSW
