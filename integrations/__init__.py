"""Clients for the outside services Seamline talks to (Uphance, Shipup) and their sandboxes."""
