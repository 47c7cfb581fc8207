# Import the member list of a group by the group's id (or its name):
terraform import rollcall_group_members.sre 0b8e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4
