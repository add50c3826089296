"""The company's CRM extract in the warehouse (`crm.contacts`): an external asset other capabilities read."""
