-- Rows as better-auth 1.7.25 writes them, imported before the end-to-end run.
-- imported@example.com / password123: a hash written by a real better-auth server.
-- ligature@example.com / "file-pass": the NFKC vector; "ﬁle-pass" (U+FB01) must sign in too.
insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values
  ('importedUser00000000000000000001', 'Imported', 'imported@example.com', 1, null, '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z'),
  ('importedUser00000000000000000002', 'Ligature', 'ligature@example.com', 0, null, '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z');
insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") values
  ('importedAccount00000000000000001', 'importedUser00000000000000000001', 'credential', 'importedUser00000000000000000001',
   'ac04d54c09c19e12b1d4ffe9a6a45b42:3ed35cd37031b1b281fdb364f75336c6c8d4640fa39170ce4b8a2e8a4619a8c809e24fc9e173a0cb27f76e8fb1657636be72cc6b9857590d1923f0ee5ea809b3',
   '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z'),
  ('importedAccount00000000000000002', 'importedUser00000000000000000002', 'credential', 'importedUser00000000000000000002',
   '0123456789abcdef0123456789abcdef:59f4aa2fa521055ee0d03af41416151527edeb230194b3bd04dcaeafaa3fb43a93357651c4c8576cea1f3a1718696ccc6bfe3000f2287ace2dd8048ad77df910',
   '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z');
