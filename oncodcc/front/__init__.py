"""The pages that compose several domain apps (home, the patient record): the top floor of the house, so that the
domain apps below it never import each other upwards (ARCHITECTURE.md §6)."""
