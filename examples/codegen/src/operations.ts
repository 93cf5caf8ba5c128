// The operations this client sends. `graphql()` comes from the generated folder and returns a
// TypedDocumentNode, so results and variables are typed from these very strings.
import { graphql } from "./gql/index.js";

export const SendMessage = graphql(`
  mutation SendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      seq
      content
      createdAt
      clientMsgId
      sender {
        id
        username
      }
      attachments {
        url
        mediaType
      }
    }
  }
`);

export const HistoryPage = graphql(`
  query HistoryPage($roomId: ID!, $last: Int, $before: String) {
    messages(roomId: $roomId, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          seq
          content
          createdAt
          editedAt
          sender {
            id
            displayName
          }
          reactions {
            content
            count
          }
        }
      }
      pageInfo {
        hasPreviousPage
        startCursor
      }
    }
  }
`);

export const MessageAdded = graphql(`
  subscription MessageAdded($roomId: ID!, $afterSeq: Int) {
    messageAdded(roomId: $roomId, afterSeq: $afterSeq) {
      id
      seq
      content
      sender {
        id
      }
    }
  }
`);
