"""Pure domain rules: no ORM, web, orchestration, spreadsheet or PDF library is imported here."""
