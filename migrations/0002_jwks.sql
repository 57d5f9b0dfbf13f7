-- better-auth's JWT plugin table, as its CLI creates it: "publicKey" is the public JWK JSON,
-- "privateKey" the encrypted private JWK (a JSON string literal), "id" the JWT kid.
create table "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null, "createdAt" date not null, "expiresAt" date, "alg" text, "crv" text);
