-- A customer user's usage location (ISO 3166 two-letter country), where its licensed services are used.
ALTER TABLE users ADD COLUMN usage_location TEXT;
