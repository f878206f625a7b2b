"""The article set: stories and their versions, duplicate groups, search, rules, listing."""
