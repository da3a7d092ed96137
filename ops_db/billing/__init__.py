"""Tax rates, price lists, invoices, payments, refunds, credit notes, expenses, bank accounts."""
