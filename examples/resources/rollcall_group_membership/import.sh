# Import a membership as group_id/user_id:
terraform import rollcall_group_membership.oncall_dana 0b8e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4/2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71
