"""Sales reception (SAL-1 … SAL-5): calls, visits, follow-up tasks, opportunities."""
