"""Certificates: the catalogue, issuance (PDF with a verification number and
QR code), the issuance ledger, and the request pipeline that issues and
delivers them."""
