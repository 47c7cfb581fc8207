# Import a group by id:
terraform import rollcall_group.engineering 0b8e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4

# or by name:
terraform import rollcall_group.engineering engineering
