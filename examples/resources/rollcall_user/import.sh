# Import a user by id:
terraform import rollcall_user.jane 2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71

# or by username:
terraform import rollcall_user.jane jane
