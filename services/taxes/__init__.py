"""Local taxes (지방세): bills from the back end, payments made exactly once,
receipts in the issuance ledger."""
