"""Knowledge base articles for technicians."""
