-- The categories a feed gives an item (RSS <category>, Atom category, JSON Feed tags), one a
-- line; NULL when it gives none. Templates show them as {categories}.
ALTER TABLE articles ADD COLUMN categories TEXT;
