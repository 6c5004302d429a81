-- Whether a webhook created its conversation now follows from the stored message itself (the
-- first message of a conversation, seq 1, announces it), so duplicates and racing copies all
-- give the same answer. The flag recorded per receipt could disagree with that and is dropped.
alter table inbound_receipts drop column conversation_created;
