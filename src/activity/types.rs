//! The documentation's table of activity types, once: wire name, description, and fields.
//! A field is required unless its type is `Option` ("(if applicable)" in the documentation);
//! `#[scalar]` marks text that also accepts a JSON number or boolean as its JSON text.

use crate::read::parsed_text::{TodoDate, TodoTime};

activity_types! {
    LeadCreated = "lead:created", "A lead was created" {}
    LeadMoved = "lead:moved", "A lead was moved from one stage to another" {
        old_stage_name: String, new_stage_name: String
    }
    LeadNameChanged = "lead:name_changed", "A lead's name was changed" { old_lead_name: String }
    LeadWon = "lead:won", "A lead was marked as won" {}
    LeadLost = "lead:lost", "A lead was marked as lost" {}
    LeadAssigned = "lead:assigned", "A lead was assigned to a user" { lead_assigned_to_name: String }
    LeadUnassigned = "lead:unassigned", "A lead was unassigned from a user" {
        old_lead_assigned_to_name: String
    }
    LeadSizeChanged = "lead:size_changed", "The value of the lead was changed" {
        lead_size: f64, old_lead_size: Option<f64>
    }
    LeadRestored = "lead:restored", "Lead was restored from archived leads" {}
    TodoCreated = "todo:created", "A todo was created" {
        todo_name: String, todo_type: String, todo_date: Option<TodoDate>, todo_time: Option<TodoTime>
    }
    TodoNameChanged = "todo:name_changed", "Name of a todo was changed" {
        todo_name: String, old_todo_name: String
    }
    TodoTypeChanged = "todo:type_changed", "Type of a todo was changed" {
        todo_name: String, todo_type: String, old_todo_type: String
    }
    TodoDateChanged = "todo:date_changed", "Date of a todo was changed" {
        todo_name: String, todo_date: TodoDate, old_todo_date: Option<TodoDate>
    }
    TodoTimeChanged = "todo:time_changed", "Time of a todo was changed" {
        todo_name: String, todo_time: TodoTime, old_todo_time: Option<TodoTime>
    }
    TodoDoneChanged = "todo:done_changed", "Status of a todo was changed" {
        todo_name: String, todo_done: bool
    }
    TodoDeleted = "todo:deleted", "A Todo was deleted" { todo_name: String }
    NoteCreated = "note:created", "A note was added to a lead" { note_content: String }
    NoteUpdated = "note:updated", "A note was updated" { note_content: String }
    NoteDeleted = "note:deleted", "A note was deleted" { note_content: String }
    AttachmentCreated = "attachment:created", "A file was added to a lead" {
        attachment_filename: String, attachment_url: String
    }
    AttachmentDeleted = "attachment:deleted", "A file was deleted" { attachment_filename: String }
    RecordCreated = "record:created", "A field was added to a lead" {
        record_name: String, #[scalar] record_value: String
    }
    RecordUpdated = "record:updated", "A field value was updated" {
        record_name: String, #[scalar] record_value: String, #[scalar] old_record_value: Option<String>
    }
    RecordDeleted = "record:deleted", "A field was deleted" {
        record_name: String, #[scalar] record_value: String
    }
    ContactAdded = "contact:added", "A contact was added to a lead" { contact_name: String }
    ContactRemoved = "contact:removed", "A contact was removed from a lead" { contact_name: String }
    ProductAdded = "product:added", "A product was added to a lead" {
        product_name: String, product_quantity: f64, product_price: Option<f64>
    }
    ProductRemoved = "product:removed", "A product was removed from a lead" {
        product_name: String, product_quantity: f64
    }
    ZoneAdded = "zone:added", "A zone was added to a lead" { zone_name: String }
    ZoneRemoved = "zone:removed", "A zone was removed from a lead" { zone_name: String }
    SourceAdded = "source:added", "A source was added to a lead" { source_name: String }
    SourceRemoved = "source:removed", "A source was removed from a lead" { source_name: String }
    EmailReceived = "email:received", "An email was added to a lead" { subject: String }
}
